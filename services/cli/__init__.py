"""The operator's command line, `pointstream` (`python -m services.cli`): thin commands over the services' own logic."""
