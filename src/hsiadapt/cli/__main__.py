"""``python -m hsiadapt.cli``: the same as the ``hsiadapt`` command."""

from hsiadapt.cli import main

raise SystemExit(main())
