"""What every domain uses: configuration, settings, errors, the table, links, mail, i18n, time, logs, secrets, safe HTTP."""
