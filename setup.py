"""Build hook of kestrel-core: the optional native speedups (everything else is in
pyproject.toml). When the C compiler or the Python headers are missing, the extension is skipped
and Kestrel runs its pure-Python twins of the same loops (``kestrel plugins list`` says which)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "kestrel_core._speedups",
            sources=["kestrel_core/_speedups.c"],
            optional=True,
        )
    ]
)
