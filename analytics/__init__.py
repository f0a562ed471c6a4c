"""Layer 3: post-session analytics (churn, sentiment, insights) on the RQ queue "analytics"."""
