"""The agent's tools over the Model Context Protocol: stdio (``qbo-agent mcp``) and streamable HTTP (``/mcp``)."""
