"""Live: watching a workspace and applying each batch of saved files as one edit."""
