"""Business logic over the store ABCs; the CLI calls one function per command."""
