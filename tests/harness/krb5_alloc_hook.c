/* PLT redirection for MIT krb5's allocations (see krb5_alloc_hook.h). */
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_DEFAULT */
#include "krb5_alloc_hook.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The relocation that binds a PLT slot (x86-64 and AArch64 psABIs). */
#if defined(__x86_64__)
#define JUMP_SLOT R_X86_64_JUMP_SLOT
#elif defined(__aarch64__)
#define JUMP_SLOT R_AARCH64_JUMP_SLOT
#else
#define JUMP_SLOT (-1L) /* unknown ABI: nothing is redirected, the hook reports 0 slots */
#endif

static bool (*_Atomic gate)(void);
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);

static bool fails(void)
{
    bool (*g)(void) = atomic_load(&gate);
    return g != NULL && g();
}

static void *hooked_malloc(size_t size)
{
    return fails() ? NULL : real_malloc(size);
}

static void *hooked_calloc(size_t n, size_t size)
{
    return fails() ? NULL : real_calloc(n, size);
}

static void *hooked_realloc(void *ptr, size_t size)
{
    return fails() ? NULL : real_realloc(ptr, size); /* a failed realloc keeps ptr */
}

static bool is_mit_krb5(const char *path)
{
    return strstr(path, "/libkrb5.so") != NULL || strstr(path, "/libk5crypto.so") != NULL ||
           strstr(path, "/libkrb5support.so") != NULL;
}

static void *hook_for(const char *symbol)
{
    if (strcmp(symbol, "malloc") == 0)
        return (void *)hooked_malloc;
    if (strcmp(symbol, "calloc") == 0)
        return (void *)hooked_calloc;
    if (strcmp(symbol, "realloc") == 0)
        return (void *)hooked_realloc;
    return NULL;
}

/* glibc stores some dynamic-section addresses relocated, others as offsets: take either. */
static uintptr_t dyn_addr(uintptr_t base, uintptr_t v)
{
    return v < base ? base + v : v;
}

/* ELF gABI "Dynamic Section" and the psABI: each JUMP_SLOT relocation in DT_JMPREL names the
 * symbol (DT_SYMTAB/DT_STRTAB) whose address its GOT slot holds. */
static int redirect_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    int *redirected = arg;
    (void)size;
    if (!is_mit_krb5(info->dlpi_name))
        return 0;
    uintptr_t base = info->dlpi_addr, jmprel = 0, symtab = 0, strtab = 0;
    size_t relsz = 0;
    const ElfW(Dyn) *d = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            d = (const ElfW(Dyn) *)(base + info->dlpi_phdr[i].p_vaddr);
    for (; d != NULL && d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_JMPREL)
            jmprel = dyn_addr(base, d->d_un.d_ptr);
        else if (d->d_tag == DT_PLTRELSZ)
            relsz = d->d_un.d_val;
        else if (d->d_tag == DT_SYMTAB)
            symtab = dyn_addr(base, d->d_un.d_ptr);
        else if (d->d_tag == DT_STRTAB)
            strtab = dyn_addr(base, d->d_un.d_ptr);
    }
    if (jmprel == 0 || symtab == 0 || strtab == 0)
        return 0;
    const ElfW(Rela) *rel = (const ElfW(Rela) *)jmprel;
    const ElfW(Sym) *sym = (const ElfW(Sym) *)symtab;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < relsz / sizeof(*rel); i++) {
        if ((long)ELF64_R_TYPE(rel[i].r_info) != JUMP_SLOT)
            continue;
        void *hook = hook_for((const char *)strtab + sym[ELF64_R_SYM(rel[i].r_info)].st_name);
        if (hook == NULL)
            continue;
        void **slot = (void **)(base + rel[i].r_offset);
        void *start = (void *)((uintptr_t)slot & ~((uintptr_t)page - 1));
        /* Read-only once relocated when the library is linked with full RELRO. */
        if (mprotect(start, (size_t)page, PROT_READ | PROT_WRITE) != 0)
            continue;
        *slot = hook;
        (*redirected)++;
    }
    return 0;
}

int ng_test_hook_krb5_allocs(bool (*fail_now)(void))
{
    static int redirected;
    atomic_store(&gate, fail_now);
    if (real_malloc != NULL)
        return redirected;
    /* What the PLT would have bound to: the process's allocator (libc, jemalloc or ASan's). */
    real_malloc = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_DEFAULT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_DEFAULT, "realloc");
    if (real_malloc == NULL || real_calloc == NULL || real_realloc == NULL)
        return 0;
    dl_iterate_phdr(redirect_object, &redirected);
    return redirected;
}
