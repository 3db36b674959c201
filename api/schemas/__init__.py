"""Response shapes of the API (``…Public``); inputs reuse ``domain.schemas`` (``…Create``/``…Update``)."""
