"""Text messages: phone confirmation and consent, the outbox and its senders, Twilio webhooks."""
