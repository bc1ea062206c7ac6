# counters-bench.mk -- the counters layer's own overhead benchmark:
#   make build/counters-bench && build/counters-bench [ITERATIONS]
# Not part of `make all`; it measures the harness, not an allocator.
$(BUILD)/counters-bench: $(BUILD)/normal/bench/counters_bench.o $(BUILD)/normal/libarenabench.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)
