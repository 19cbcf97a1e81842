from peersupport.cli import main

raise SystemExit(main())
