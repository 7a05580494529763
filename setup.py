"""Packaging for the news-feed processor.

Also used as Beam's ``--setup_file`` so Flink and Dataflow workers install the
same ``pipelines``/``transforms``/``schemas`` code and the pinned requirements.
"""

import pathlib

import setuptools

HERE = pathlib.Path(__file__).parent
REQUIREMENTS = [
    line.strip()
    for line in (HERE / "requirements.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]

setuptools.setup(
    name="newsfeed-beam",
    version="0.1.0",
    description="News-feed processor on Apache Beam: clean articles, sentences, languages",
    python_requires=">=3.11",
    packages=setuptools.find_packages(
        include=["pipelines", "pipelines.*", "transforms", "transforms.*", "reporting", "reporting.*", "schemas"]
    ),
    package_data={
        "schemas": ["*.avsc"],
        "transforms.clean": ["data/*"],
        "transforms.entities": ["data/*"],
        "transforms.events": ["data/*"],
        "reporting": ["data/*"],
    },
    install_requires=REQUIREMENTS,
)
