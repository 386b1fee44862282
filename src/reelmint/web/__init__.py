"""Server-rendered pages (Jinja2 + a little vanilla JS) over the same services as the API."""
