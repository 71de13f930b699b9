"""The build's one addition to pyproject.toml: the optional C kernel of the confident joint's pass.

``optional=True``: without a C compiler the install still succeeds and the library runs its
numpy path (same results, slower; ``cleanlearn._core.kernel.KERNEL`` is None).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "cleanlearn._core._joint_kernel",
            sources=["cleanlearn/_core/_joint_kernel.c"],
            # -O3 vectorises the per-row loops; no -ffast-math: every result must be numpy's, bit for bit.
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
