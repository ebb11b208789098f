from drp_tui.cli import main

raise SystemExit(main())
