package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/source/helm"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// imageDiskNeed is the disk the image reading of a container may take,
// from the flags it is given (the last of each, as pflag reads them):
// the cache's budget, and for each image analysed at once its unpacked
// files and its largest compressed layer, each within --max-image-size.
func imageDiskNeed(t *testing.T, args []string) int64 {
	t.Helper()
	last := map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			last[k] = v
		}
	}
	size := func(flag string) int64 {
		n, err := config.ParseSize(last[flag])
		if err != nil || n == 0 {
			t.Fatalf("%s=%q in %v: %v", flag, last[flag], args, err)
		}
		return n
	}
	analyses, err := strconv.Atoi(last["--image-analyses"])
	if err != nil || analyses < 1 {
		t.Fatalf("--image-analyses=%q in %v", last["--image-analyses"], args)
	}
	return size("--image-cache-max-size") + int64(analyses)*2*size("--max-image-size")
}

// cacheLimit is the sizeLimit of the emptyDir TMPDIR is on.
func cacheLimit(t *testing.T, spec corev1.PodSpec) int64 {
	t.Helper()
	for _, v := range spec.Volumes {
		if v.Name == "cache" && v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil {
			return v.EmptyDir.SizeLimit.Value()
		}
	}
	t.Fatalf("no cache emptyDir with a sizeLimit: %+v", spec.Volumes)
	return 0
}

// TestChartImageDiskFits: the kubelet evicts a pod whose emptyDir passes
// its sizeLimit, and the webhook runs with failurePolicy Fail: its image
// reading (the cache's budget, and for each image analysed at once its
// unpacked files and a compressed layer) must fit in the emptyDir with
// room to spare, for the defaults and whatever imageDisk values are
// raised, and arguments given through extraArgs or cronJob.args cannot
// raise the bounds past it. Before, the cache and the unpacked files grew
// without bound in a 1Gi emptyDir.
func TestChartImageDiskFits(t *testing.T) {
	const gib = 1 << 30
	webhook := func(set ...string) corev1.PodSpec {
		return chartObjects[appsv1.Deployment](t, renderChart(t, set...), "Deployment")[0].Spec.Template.Spec
	}
	scanner := func(set ...string) corev1.PodSpec {
		return chartObjects[batchv1.CronJob](t, renderScanner(t, append([]string{"cronJob.args={--images}"}, set...)...), "CronJob")[0].Spec.JobTemplate.Spec.Template.Spec
	}
	for _, part := range []struct {
		name, prefix string
		spec         func(...string) corev1.PodSpec
		extra        string
	}{
		{"webhook", "webhook", webhook, "webhook.extraArgs={--max-image-size=100Gi}"},
		{"scanner", "cronJob", scanner, "cronJob.args={--images,--max-image-size=100Gi,--image-analyses=64}"},
	} {
		for _, set := range [][]string{
			nil,
			{part.prefix + ".imageDisk.maxImageGi=16"},
			{part.prefix + ".imageDisk.analyses=8"},
			{part.prefix + ".imageDisk.cacheGi=50"},
			{part.extra},
		} {
			spec := part.spec(set...)
			need, limit := imageDiskNeed(t, spec.Containers[0].Args), cacheLimit(t, spec)
			if limit < need+gib {
				t.Errorf("%s %v: the emptyDir's sizeLimit %d is not 1 GiB over the %d bytes its image reading may take", part.name, set, limit, need)
			}
			if set == nil && need != 10*gib {
				t.Errorf("%s: the defaults' image reading may take %d bytes, want 10 GiB (2 + 2 x 2 x 2)", part.name, need)
			}
		}
		// The former value is refused with a pointer to the new ones,
		// rather than ignored; sizes must be whole GiB.
		for _, set := range []string{part.prefix + ".imageCacheSize=5Gi", part.prefix + ".imageDisk.maxImageGi=2Gi", part.prefix + ".imageDisk.analyses=0"} {
			r, err := helm.New(helm.Options{ReleaseName: chartRelease, Namespace: chartNamespace, Set: []string{webhookOnly, "cronJob.args={--images}", set}})
			if err != nil {
				t.Fatal(err)
			}
			dir, name := kubewardChartDir(t), "deploy/helm/kubeward"
			if part.name == "scanner" {
				dir, name = scannerChartDir(t), "deploy/helm/kubeward-scanner"
			}
			if _, err := r.Render(dir, name); err == nil || !strings.Contains(err.Error(), part.prefix+".image") {
				t.Errorf("%s --set %s: %v, want an error naming the value", part.name, set, err)
			}
		}
	}
}
