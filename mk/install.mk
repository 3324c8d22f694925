# mk/install.mk — make install / make uninstall (included by the Makefile).
#
#   make install                           binary, man pages, /etc/suqiu, systemd units
#   make install PREFIX=/usr DESTDIR=/tmp/stage   for a package or a test tree
#   make uninstall                         removes what install added
#
# What goes where ($(DESTDIR) before every path):
#   $(PREFIX)/bin/suqiu
#   $(PREFIX)/share/man/man1/suqiu.1, man5/suqiu.yaml.5
#   /etc/suqiu/suqiu.yaml.example     always (the configuration itself is
#                                     never written: copy this and edit)
#   /etc/suqiu/taxonomy.yaml          when absent or unchanged; an edited one
#                                     is kept and the new one goes beside it
#                                     as taxonomy.yaml.dist
#   /etc/suqiu/credentials/           mode 0700, for the units' LoadCredential=
#   /lib/systemd/system/suqiu-{poll,digest,prune}.{service,timer}
#                                     with ExecStart= naming $(PREFIX)/bin/suqiu
# /etc/suqiu/suqiu.yaml and the database under /var/lib/suqiu (the units'
# StateDirectory=) belong to the administrator: neither target touches them.

PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/suqiu
UNITDIR    ?= /lib/systemd/system
INSTALL    ?= install

UNITS     := suqiu-poll.service suqiu-poll.timer suqiu-digest.service suqiu-digest.timer \
             suqiu-prune.service suqiu-prune.timer
MAN1      := doc/suqiu.1
MAN5      := doc/suqiu.yaml.5
TAXONOMY  := config/taxonomy.yaml
EXAMPLE   := config/suqiu.example.yaml

.PHONY: install uninstall install-check-sources

install-check-sources:
	@for f in $(MAN1) $(MAN5) $(TAXONOMY) $(EXAMPLE) $(UNITS:%=config/systemd/%); do \
		[ -f "$$f" ] || { echo "install: $$f is missing" >&2; exit 2; }; done

install: $(SUQIU) install-check-sources
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" \
		"$(DESTDIR)$(MANDIR)/man5" "$(DESTDIR)$(SYSCONFDIR)" "$(DESTDIR)$(UNITDIR)"
	$(INSTALL) -d -m 0700 "$(DESTDIR)$(SYSCONFDIR)/credentials"
	$(INSTALL) -m 0755 $(SUQIU) "$(DESTDIR)$(BINDIR)/suqiu"
	$(INSTALL) -m 0644 $(MAN1) "$(DESTDIR)$(MANDIR)/man1/suqiu.1"
	$(INSTALL) -m 0644 $(MAN5) "$(DESTDIR)$(MANDIR)/man5/suqiu.yaml.5"
	$(INSTALL) -m 0644 $(EXAMPLE) "$(DESTDIR)$(SYSCONFDIR)/suqiu.yaml.example"
	@t="$(DESTDIR)$(SYSCONFDIR)/taxonomy.yaml"; \
	if [ ! -e "$$t" ] || cmp -s $(TAXONOMY) "$$t"; then \
		echo "$(INSTALL) -m 0644 $(TAXONOMY) $$t"; \
		$(INSTALL) -m 0644 $(TAXONOMY) "$$t" || exit 1; \
	else \
		echo "install: keeping the edited $$t; the new one is $$t.dist"; \
		$(INSTALL) -m 0644 $(TAXONOMY) "$$t.dist" || exit 1; \
	fi
	@for u in $(UNITS); do \
		echo "install config/systemd/$$u -> $(DESTDIR)$(UNITDIR)/$$u"; \
		sed 's|^\(ExecStart=[-@:+!]*\)/usr/local/bin/suqiu|\1$(BINDIR)/suqiu|' \
			"config/systemd/$$u" >"$(DESTDIR)$(UNITDIR)/$$u.tmp" && \
		chmod 0644 "$(DESTDIR)$(UNITDIR)/$$u.tmp" && \
		mv -f "$(DESTDIR)$(UNITDIR)/$$u.tmp" "$(DESTDIR)$(UNITDIR)/$$u" || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ]; then \
		[ -e "$(SYSCONFDIR)/suqiu.yaml" ] || \
			echo "next: cp $(SYSCONFDIR)/suqiu.yaml.example $(SYSCONFDIR)/suqiu.yaml, edit it, run suqiu doctor"; \
		echo "then: systemctl daemon-reload && systemctl enable --now suqiu-poll.timer suqiu-digest.timer suqiu-prune.timer"; \
	fi

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/suqiu" "$(DESTDIR)$(MANDIR)/man1/suqiu.1" \
		"$(DESTDIR)$(MANDIR)/man5/suqiu.yaml.5" \
		"$(DESTDIR)$(SYSCONFDIR)/suqiu.yaml.example" \
		"$(DESTDIR)$(SYSCONFDIR)/taxonomy.yaml.dist"
	rm -f $(UNITS:%="$(DESTDIR)$(UNITDIR)/%")
	@t="$(DESTDIR)$(SYSCONFDIR)/taxonomy.yaml"; \
	if [ -e "$$t" ] && ! cmp -s $(TAXONOMY) "$$t"; then \
		echo "uninstall: keeping the edited $$t"; \
	else \
		rm -f "$$t"; \
	fi
	@rmdir "$(DESTDIR)$(SYSCONFDIR)/credentials" 2>/dev/null || true
	@rmdir "$(DESTDIR)$(SYSCONFDIR)" 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ]; then \
		echo "left in place: $(SYSCONFDIR)/suqiu.yaml, /var/lib/suqiu (the database)"; \
		echo "then: systemctl daemon-reload"; \
	fi
