package kubecron

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/internal/model"
)

func archived() *model.Target {
	t := target()
	t.Backup.Archive = &model.Archive{Flush: time.Second}
	return t
}

// TestArchiveDeployment: a target with an archive gets, after its
// CronJobs, a Deployment that decodes strictly as apps/v1 and holds what
// the API server requires and what keeps the archive single and running:
// one replica, Recreate (never two archivers during a rollout), a
// selector matching the pod's labels, restartPolicy Always, the same
// container, spec and Secret variables as the CronJobs, running
// redisplan archive, and a grace period for the final flush. It matches
// testdata/golden (-update rewrites it) and holds no secret.
func TestArchiveDeployment(t *testing.T) {
	files, err := Render(archived(), block(), "/srv/spec")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "redisplan-main-backup.yaml redisplan-main-check.yaml redisplan-main-archive.yaml" {
		t.Fatalf("files = %s", got)
	}
	f := files[2]
	if !schedfiles.HasMarker(f.Content, "main") {
		t.Error("the Deployment has no marker")
	}
	if strings.Contains(string(f.Content), "Sup3rSecretPw") {
		t.Error("the Deployment holds the password")
	}
	golden := filepath.Join("testdata", "golden", f.Name)
	if *update {
		if err := os.WriteFile(golden, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(golden); err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	} else if string(want) != string(f.Content) {
		t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", golden, want, f.Content)
	}

	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(f.Content, &d); err != nil {
		t.Fatalf("the manifest does not decode as a Deployment: %v", err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("apiVersion", d.APIVersion, "apps/v1")
	check("kind", d.Kind, "Deployment")
	check("name", d.Name, "redisplan-main-archive")
	check("namespace", d.Namespace, "redis")
	want := map[string]string{LabelManagedBy: "redisplan", LabelName: "redisplan", LabelInstance: "main", LabelComponent: "archive"}
	check("labels", d.Labels, want)
	check("annotations", d.Annotations, map[string]string{AnnotationTarget: "main"})
	check("replicas", deref(d.Spec.Replicas), int32(1))
	check("strategy", d.Spec.Strategy.Type, appsv1.RecreateDeploymentStrategyType)
	if d.Spec.Strategy.RollingUpdate != nil {
		t.Error("a Recreate Deployment sets rollingUpdate, which the API server refuses")
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() {
		t.Fatalf("selector %v: %v", d.Spec.Selector, err)
	}
	if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("selector %s does not match the pod's labels %v: the API server refuses the Deployment", sel, d.Spec.Template.Labels)
	}
	pod := d.Spec.Template.Spec
	if errs := messages(validatePod(field.NewPath("spec", "template", "spec"), pod)); len(errs) > 0 {
		t.Errorf("the Deployment's pod is not valid:\n%s", strings.Join(errs, "\n"))
	}
	check("restartPolicy", pod.RestartPolicy, corev1.RestartPolicyAlways)
	check("terminationGracePeriodSeconds", deref(pod.TerminationGracePeriodSeconds), ArchiveGracePeriod)
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	check("image", c.Image, "registry.example/redisplan:1.4.0")
	check("args", c.Args, []string{"archive", "-no-color", "-config", "/etc/redisplan", "-target", "main"})
	var cj struct {
		Spec struct {
			JobTemplate struct {
				Spec struct {
					Template corev1.PodTemplateSpec `json:"template"`
				} `json:"spec"`
			} `json:"jobTemplate"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(files[0].Content, &cj); err != nil {
		t.Fatal(err)
	}
	job := cj.Spec.JobTemplate.Spec.Template.Spec
	jc := job.Containers[0]
	if len(c.Env) != len(jc.Env) || len(c.Env) != 2 || c.Env[0].ValueFrom.SecretKeyRef.Name != "redisplan-secrets" {
		t.Errorf("env %v, want the CronJobs' %v", c.Env, jc.Env)
	}
	// The spec ConfigMap read-only, then what the CronJobs' pods have
	// (a scratch /tmp on the read-only root).
	if len(pod.Volumes) != 2 || pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != "redisplan-spec" ||
		len(c.VolumeMounts) != 2 || c.VolumeMounts[0].MountPath != SpecDir || !c.VolumeMounts[0].ReadOnly {
		t.Errorf("volumes %v mounts %v, want the spec ConfigMap read-only at %s", pod.Volumes, c.VolumeMounts, SpecDir)
	}
	for i, v := range job.Volumes {
		if i >= len(pod.Volumes) || pod.Volumes[i].Name != v.Name || (v.EmptyDir == nil) != (pod.Volumes[i].EmptyDir == nil) {
			t.Errorf("volumes %v, want the CronJobs' %v", pod.Volumes, job.Volumes)
		}
	}
	if pod.SecurityContext == nil || !deref(pod.SecurityContext.RunAsNonRoot) || !deref(c.SecurityContext.ReadOnlyRootFilesystem) {
		t.Errorf("the archiver's pod runs without the CronJobs' security context: %+v / %+v", pod.SecurityContext, c.SecurityContext)
	}

	tg := archived()
	tg.Backup.Archive = nil
	if BuildArchive(tg, block()) != nil {
		t.Error("a target without an archive block got a Deployment")
	}
}
