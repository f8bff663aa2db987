/* host: the host's CPU, memory, filesystems and load; see probe.h. */
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "mem.h"
#include "probe.h"

struct host {
	double tick;       /* seconds per clock tick */
};

void *probe_host_new(void)
{
	struct host *h = gm_xcalloc(1, sizeof *h);
	long hz = sysconf(_SC_CLK_TCK);
	h->tick = 1.0 / (hz > 0 ? (double)hz : 100.0);
	return h;
}

static void host_free(void *state)
{
	free(state);
}

/* The file name of /proc, or NULL. */
static FILE *proc(const char *name)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%s", name);
	return fopen(path, "r");
}

/* The modes of a cpu line of /proc/stat, in its order, named as
 * node_exporter names them. */
static const char *const modes[] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
};
#define NMODES (sizeof modes / sizeof *modes)

static bool cpu(const struct host *h, struct sample_set *out)
{
	FILE *f = proc("stat");
	if (!f)
		return false;
	char line[512];
	bool any = false;
	while (fgets(line, sizeof line, f)) {
		/* "cpuN ..." lines only: "cpu " is their sum. */
		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		char name[16];
		unsigned long long v[NMODES] = { 0 };
		int n = sscanf(line, "cpu%15s %llu %llu %llu %llu %llu %llu %llu %llu", name,
			&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		if (n < 5)
			continue;
		for (size_t m = 0; m < NMODES && (int)m < n - 1; m++)
			sample_add(out, F_HOST_CPU_SECONDS, (double)v[m] * h->tick, name, modes[m]);
		any = true;
	}
	fclose(f);
	return any;
}

static bool memory(struct sample_set *out)
{
	FILE *f = proc("meminfo");
	if (!f)
		return false;
	char line[256];
	int got = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long kb;
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			sample_add(out, F_HOST_MEMORY_TOTAL, (double)kb * 1024), got++;
		else if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			sample_add(out, F_HOST_MEMORY_AVAILABLE, (double)kb * 1024), got++;
	}
	fclose(f);
	return got == 2;
}

/* Filesystems that node_exporter's defaults leave out (no device, or
 * the kernel's views), but overlay, which is a container's root. */
static bool ignored(const char *type, const char *dir)
{
	static const char *const types[] = {
		"autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs",
		"devpts", "devtmpfs", "fusectl", "hugetlbfs", "iso9660", "mqueue", "nsfs",
		"proc", "pstore", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs",
		"tracefs", NULL,
	};
	for (size_t i = 0; types[i]; i++)
		if (!strcmp(type, types[i]))
			return true;
	return !strncmp(dir, "/proc/", 6) || !strncmp(dir, "/sys/", 5) || !strncmp(dir, "/dev/", 5);
}

static bool filesystems(struct sample_set *out)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return false;
	struct mntent m, *e;
	char buf[1024];
	bool any = false;
	while ((e = getmntent_r(f, &m, buf, sizeof buf))) {
		if (ignored(e->mnt_type, e->mnt_dir))
			continue;
		struct statvfs s;
		if (statvfs(e->mnt_dir, &s) || s.f_blocks == 0)
			continue;
		sample_add(out, F_HOST_FS_SIZE, (double)s.f_blocks * s.f_frsize, e->mnt_dir);
		sample_add(out, F_HOST_FS_AVAIL, (double)s.f_bavail * s.f_frsize, e->mnt_dir);
		any = true;
	}
	endmntent(f);
	return any;
}

static bool load(struct sample_set *out)
{
	FILE *f = proc("loadavg");
	if (!f)
		return false;
	double l[3];
	int n = fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]);
	fclose(f);
	if (n != 3)
		return false;
	sample_add(out, F_HOST_LOAD1, l[0]);
	sample_add(out, F_HOST_LOAD5, l[1]);
	sample_add(out, F_HOST_LOAD15, l[2]);
	return true;
}

static bool host_collect(void *state, struct sample_set *out, int64_t now_ms)
{
	(void)now_ms;
	const struct host *h = state;
	bool ok = cpu(h, out);
	ok = memory(out) && ok;
	ok = filesystems(out) && ok;
	return load(out) && ok;
}

const struct probe_ops probe_host = {
	.name = "host", .collect = host_collect, .free = host_free,
};
