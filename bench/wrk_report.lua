-- wrk script: after the run, print one JSON line the page benchmark reads.
-- Latencies are in microseconds in wrk; reported here in milliseconds.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "mean_ms": %.3f, "errors": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency.mean / 1000, errors))
end
