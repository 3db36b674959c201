"""The QBO v3 REST API: the client, batch, retries, the rate limiter, the query compiler and QBO's errors."""
