"""Pure business rules: plates, amounts, liability and compensation arithmetic."""
