"""``python -m ydc_cli`` runs the same app as the ``ydc`` command."""

from ydc_cli.cli.app import main

if __name__ == "__main__":
    main()
