from setuptools import setup

setup(
    name="kvlite",
    version="0.3.1",
    description="A dict-like key-value store on SQLite",
    long_description=open("README.md").read(),
    author="Hanna Voss",
    url="https://github.com/hvoss/kvlite",
    packages=["kvlite"],
    license="BSD",
    classifiers=[
        "Programming Language :: Python :: 2.7",
        "Programming Language :: Python :: 3.5",
        "Programming Language :: Python :: 3.6",
        "Programming Language :: Python :: 3.7",
    ],
    test_suite="tests",
)
