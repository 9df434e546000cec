"""floe-compiler: validate and compile floe data products against their platform manifest."""

__version__ = "0.1.0"
