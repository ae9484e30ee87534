"""The liaison office (联席办): its digest, figures on demand and exports."""
