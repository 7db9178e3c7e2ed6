"""Statistical labour-market forecasts with their provenance."""
