# FLEX_TEMPLATE_PYTHON_PY_FILE of the newsfeed batch template: the launcher runs this
# file with the template's parameters; the job itself is the installed package.
import sys

from pipelines.template import main

if __name__ == "__main__":
    sys.exit(main())
