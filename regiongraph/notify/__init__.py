"""Notifications: events kept once in the store, read by every channel.

A producer (a forum post, a workflow step, a failed harvest, an approval about to end)
records an `Event` with its recipients resolved at that moment, through the one change
path, in the `events` graph. Channels only read events: the notification centre and the
ActivityStreams outboxes and Atom feeds read them on request; webhooks and e-mail are
delivered by `deliver.deliver_pending`, which records each attempt, so a channel that is
down delays its own deliveries and never loses an event or blocks another channel
(at-least-once, with the event's IRI as the idempotency key).
"""
