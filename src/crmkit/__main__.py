"""Run the command line: ``python -m crmkit``."""

from crmkit._cli import main

raise SystemExit(main())
