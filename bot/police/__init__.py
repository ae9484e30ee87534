"""The police path (issue 6, point 7): the queue, exclusive claims, cancel, take over, hand back."""
