/*
 * _dl_find_object for the static musl builds (scripts/setup compiles it into
 * /usr/local/lib/rinit-musl/ARCH/libunwind.a, next to the cross gcc's
 * libgcc_eh.a). Debian's cross gcc 12 built libgcc_eh against glibc 2.36,
 * whose unwinder finds a program counter's unwind tables with this glibc
 * function; musl has none. In a static executable there is one object to
 * search, and dl_iterate_phdr (which musl has) describes it: the PT_LOAD
 * segments give its bounds, PT_GNU_EH_FRAME its unwind table. Only Rust's
 * backtraces use it (panics abort).
 */
#define _GNU_SOURCE
#include <link.h>
#include <stddef.h>
#include <stdint.h>

struct search {
	uintptr_t pc;
	struct dl_find_object *found;
	int hit;
};

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	struct search *s = data;
	uintptr_t start = UINTPTR_MAX, end = 0;
	void *eh_frame = NULL;
	int inside = 0;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		uintptr_t hi = lo + ph->p_memsz;

		if (ph->p_type == PT_LOAD) {
			if (lo < start)
				start = lo;
			if (hi > end)
				end = hi;
			if (s->pc >= lo && s->pc < hi)
				inside = 1;
		} else if (ph->p_type == PT_GNU_EH_FRAME) {
			eh_frame = (void *)lo;
		}
	}
	if (!inside)
		return 0;
	s->found->dlfo_flags = 0;
	s->found->dlfo_map_start = (void *)start;
	s->found->dlfo_map_end = (void *)end;
	s->found->dlfo_link_map = NULL;
	s->found->dlfo_eh_frame = eh_frame;
	s->hit = 1;
	return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *result)
{
	struct search s = { (uintptr_t)pc, result, 0 };

	dl_iterate_phdr(visit, &s);
	return s.hit ? 0 : -1;
}
