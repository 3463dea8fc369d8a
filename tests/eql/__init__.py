"""Tests of kestrel-eql (test modules are named ``test_eql_*`` to stay unique across the repo)."""
