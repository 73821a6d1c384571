"""Minor PHP updates: discover, stage, promote, roll back."""
