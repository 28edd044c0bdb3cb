"""The development email backend: each email kept whole in a file, and logged as one line.

The console backend prints whole emails, and a Celery worker logs whatever is printed as warnings,
line by line: the worker's log drowns. This backend writes each email to a file under
``EMAIL_FILE_PATH`` (``var/mail/``) to be read in full, and logs one INFO line for it: the
notification, how many recipients and the subject, never an address (the logs hold no personal data),
and the file to open.
"""

import logging

from django.core.mail.backends.filebased import EmailBackend as FileBackend

logger = logging.getLogger(__name__)

# The header every notification email carries with the notification's id (see services.py).
NOTIFICATION_HEADER = "X-Offender-Hub-Notification"


class DevelopmentEmailBackend(FileBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages or ():
            recipients = len(message.recipients())
            logger.info(
                "Email for notification %s to %s recipient%s: %r, saved in %s",
                message.extra_headers.get(NOTIFICATION_HEADER, "(none)"),
                recipients,
                "" if recipients == 1 else "s",
                message.subject,
                self._fname,
            )
        return sent
