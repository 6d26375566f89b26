"""Plain domain rules: stdlib only, no I/O.

Modules: ``errors`` (the exception tree), ``names`` (name validation),
``labels`` (the YOLO label line format), ``datayaml`` (data.yaml rules),
``imageformat`` (image headers read without decoding) and ``archive``
(checks on zip members before anything is extracted).
"""
