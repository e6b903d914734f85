"""The core: the tables and the rules of spec section 2, and who may see whom. Pure where it can
be (the rules are functions of facts and ``now``); it imports the kit, never a web framework, a
database session or a domain (import-linter contracts say so)."""
