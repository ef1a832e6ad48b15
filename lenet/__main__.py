import sys

from lenet.cli import main

sys.exit(main())
