"""The HTTP API: an OpenAI-compatible video API plus reelmint's own endpoints."""
