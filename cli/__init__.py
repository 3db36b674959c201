"""The ``qbo-agent`` command line: it sits on top of api/, agent/ and demo/; nothing imports it."""
