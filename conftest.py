# Puts the repository root on sys.path so tests import `transforms` and `pipelines`.
