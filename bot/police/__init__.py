"""The police path: the queue, exclusive claims, cancel, take over, hand back."""
