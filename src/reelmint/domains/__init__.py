"""Domain packages: each has models (tables), schemas (pydantic), service (functions), api."""
