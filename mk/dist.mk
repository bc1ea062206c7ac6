# dist.mk -- a self-contained binary tarball for cluster nodes and CI runners:
#   make dist        ->  dist/arenabench-VERSION-ARCH.tar.gz
#   make dist-check  ->  tests/dist/check.sh on that tarball
# The driver links libpfm4 and jansson statically (glibc and libdl stay
# dynamic), so a node with only a C runtime can run it; gnuplot is needed only
# where plots are made.  Layout inside the tarball:
#   arenabench-VERSION-ARCH/bin/arenabench   plots/*.gp   docs/   README.md   VERSION
# bin/arenabench finds plots/ next to its own directory (cmd_plot.c).

VERSION      := $(shell cat VERSION 2>/dev/null || echo unknown)
DIST_ARCH    := $(shell uname -m)
DIST_NAME    := arenabench-$(VERSION)-$(DIST_ARCH)
DIST_DIR     := dist
DIST_TARBALL := $(DIST_DIR)/$(DIST_NAME).tar.gz
DIST_STAGE   := $(BUILD)/dist/$(DIST_NAME)
DIST_LDLIBS  := -Wl,-Bstatic -lpfm -ljansson -lgsl -lgslcblas -Wl,-Bdynamic -ldl -lm -lpthread
CLEAN_EXTRA  += $(DIST_DIR)

.PHONY: dist dist-check

# `arenabench --version` names the VERSION file and how the binary is linked;
# the dist binary has its own version object, since it links differently.
VERSION_DEFINES = -DAB_VERSION='"$(VERSION)"' -DAB_BUILD_LINK='"$(1)"'
$(BUILD)/normal/harness/cmd_version.o $(BUILD)/asan/harness/cmd_version.o: VERSION
$(BUILD)/normal/harness/cmd_version.o $(BUILD)/asan/harness/cmd_version.o: \
    CPPFLAGS += $(call VERSION_DEFINES,$(LDLIBS))

$(BUILD)/dist/cmd_version.o: harness/cmd_version.c VERSION $(BUILD)/normal/libarenabench.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call VERSION_DEFINES,$(DIST_LDLIBS)) $(CFLAGS) -c $< -o $@

$(BUILD)/dist/arenabench: $(BUILD)/normal/harness/main.o $(BUILD)/dist/cmd_version.o $(BUILD)/normal/libarenabench.a
	$(CC) $(CFLAGS) -rdynamic $^ -o $@ $(DIST_LDLIBS)

$(DIST_TARBALL): $(BUILD)/dist/arenabench $(wildcard plots/*.gp docs/*.md) README.md VERSION
	rm -rf $(DIST_STAGE)
	mkdir -p $(DIST_STAGE)/bin $(DIST_STAGE)/plots $(DIST_STAGE)/docs $(DIST_DIR)
	strip --strip-debug -o $(DIST_STAGE)/bin/arenabench $(BUILD)/dist/arenabench
	cp plots/*.gp $(DIST_STAGE)/plots/
	cp README.md VERSION $(DIST_STAGE)/
	if ls docs/*.md >/dev/null 2>&1; then cp docs/*.md $(DIST_STAGE)/docs/; fi
	tar -C $(BUILD)/dist -czf $@ $(DIST_NAME)
	@echo "dist: $@ ($$(du -k $@ | cut -f1) KiB)"

dist: $(DIST_TARBALL)

dist-check: $(DIST_TARBALL)
	@bash tests/dist/check.sh $(DIST_TARBALL)

# contrib/slurm against a real single-node Slurm (root; installs slurm-wlm and
# munge when missing; ~30 s here).  Run by .ci/run.
.PHONY: slurm-test
slurm-test: $(BUILD)/arenabench
	@bash tests/slurm/run.sh $(BUILD)/arenabench
