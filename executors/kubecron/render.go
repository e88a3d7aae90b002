// Package kubecron renders the batch/v1 CronJob manifests that run a
// target's scheduled backups and health checks on Kubernetes, and the
// apps/v1 Deployment that keeps its archiver running. The
// manifests are built from the Kubernetes API types and serialized, so
// that every field is one the API server knows.
package kubecron

import (
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/executors/systemd"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

// SpecDir is where the ConfigMap with the spec files is mounted in the
// job's container; the jobs read their spec from there.
const SpecDir = "/etc/redisplan"

// StateDir is where the volume_claim is mounted: the check state and, as
// TMPDIR, the backup lock and the journal a killed backup leaves for the
// next run to undo.
const StateDir = "/var/lib/redisplan"

// ImageGroup is the group redisplan's image runs as (the Dockerfile's
// USER): the fsGroup of a pod with a state volume, unless the spec names
// one, so that the job can write to it.
const ImageGroup int64 = 65532

// Labels put on every object redisplan renders.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	// AnnotationTarget holds the exact target name, which a label value
	// could not always hold (cache["eu"]).
	AnnotationTarget = "redisplan.dev/target"
)

// BackoffLimit is how often a failed run is retried: once, since a
// backup that fails twice needs a person, and the check alerts anyway.
const BackoffLimit int32 = 1

// Build returns the CronJobs of every scheduled job of t for one
// kubernetes cron block, in the order of crontab.Jobs.
func Build(t *model.Target, kc *model.KubeCronJobs) ([]*batchv1.CronJob, error) {
	var out []*batchv1.CronJob
	for _, j := range crontab.Jobs(t) {
		schedule, zone, err := splitZone(j.Schedule, kc.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("%s schedule of redis.%s as a CronJob: %w", j.Name, t.Name, err)
		}
		name := systemd.UnitName(schedfiles.Name(kc.ID, t.Name), j.Name)
		labels := jobLabels(t, j)
		cj := &batchv1.CronJob{
			TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Namespace:   kc.Namespace,
				Labels:      labels,
				Annotations: map[string]string{AnnotationTarget: t.Name},
			},
			Spec: batchv1.CronJobSpec{
				Schedule: schedule,
				// Two backups of one server at once would only fork twice.
				ConcurrencyPolicy:       batchv1.ForbidConcurrent,
				StartingDeadlineSeconds: ptr(int64(kc.StartingDeadline.Seconds())),
				JobTemplate: batchv1.JobTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: batchv1.JobSpec{
						BackoffLimit: ptr(BackoffLimit),
						Template: corev1.PodTemplateSpec{
							ObjectMeta: metav1.ObjectMeta{Labels: labels},
							Spec:       podSpec(t, kc, j, corev1.RestartPolicyNever),
						},
					},
				},
			},
		}
		if zone != "" {
			cj.Spec.TimeZone = ptr(zone)
		}
		out = append(out, cj)
	}
	return out, nil
}

// jobLabels are the labels of every object that runs job j of t.
func jobLabels(t *model.Target, j crontab.Job) map[string]string {
	return map[string]string{
		LabelManagedBy: "redisplan",
		LabelName:      "redisplan",
		LabelInstance:  schedfiles.Slug(t.Name),
		LabelComponent: j.Name,
	}
}

// podSpec is the pod that runs job j of t: one redisplan container with
// the spec's ConfigMap mounted at SpecDir and the variables from the
// Secret; CronJobs and the archive's Deployment run the same pod.
func podSpec(t *model.Target, kc *model.KubeCronJobs, j crontab.Job, restart corev1.RestartPolicy) corev1.PodSpec {
	args := append([]string{}, j.Args...)
	args = append(args, "-no-color", "-config", SpecDir)
	if j.Name == "check" && kc.VolumeClaim != "" {
		args = append(args, "-state-dir", StateDir)
	}
	args = append(args, "-target", t.Name)
	var env []corev1.EnvVar
	for _, v := range kc.Variables {
		env = append(env, corev1.EnvVar{
			Name: "REDISPLAN_VAR_" + v,
			ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: kc.Secret},
				Key:                  v,
			}},
		})
	}
	mounts, volumes, extraEnv := storage(kc)
	env = append(env, extraEnv...)
	return corev1.PodSpec{
		RestartPolicy:      restart,
		ServiceAccountName: kc.ServiceAccount,
		SecurityContext:    podSecurity(kc),
		Containers: []corev1.Container{{
			Name:            "redisplan",
			Image:           kc.Image,
			ImagePullPolicy: corev1.PullPolicy(kc.ImagePullPolicy),
			Args:            args,
			EnvFrom:         envFrom(kc),
			Env:             env,
			Resources:       resources(kc),
			SecurityContext: containerSecurity(kc),
			VolumeMounts:    mounts,
		}},
		Volumes: volumes,
	}
}

// Owner is who kc's manifests belong to when the spec at spec renders
// them.
func Owner(t *model.Target, kc *model.KubeCronJobs, spec string) owner.Owner {
	return owner.Owner{ID: kc.ID, Spec: spec, Target: t.Name}
}

// Render returns the manifests of Build, and of BuildArchive when the
// target has an archive, as files, one per object, each starting with
// the target's marker comment and the owner line of the spec at spec
// (its absolute path).
func Render(t *model.Target, kc *model.KubeCronJobs, spec string) ([]schedfiles.File, error) {
	jobs, err := Build(t, kc)
	if err != nil {
		return nil, err
	}
	type object struct {
		name string
		obj  any
	}
	var objects []object
	for _, cj := range jobs {
		objects = append(objects, object{cj.Name, cj})
	}
	if d := BuildArchive(t, kc); d != nil {
		objects = append(objects, object{d.Name, d})
	}
	var files []schedfiles.File
	for _, o := range objects {
		b, err := yaml.Marshal(o.obj)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", o.name, err)
		}
		files = append(files, schedfiles.File{
			Name:    o.name + ".yaml",
			Content: append([]byte(schedfiles.Marker(t.Name)+"\n"+Owner(t, kc, spec).Line()+"\n"), b...),
		})
	}
	return files, nil
}

// splitZone moves a TZ= or CRON_TZ= prefix of a cron schedule into the
// CronJob's timeZone field: Kubernetes refuses the prefix in schedule.
func splitZone(schedule, blockZone string) (string, string, error) {
	s := strings.TrimSpace(schedule)
	if !strings.HasPrefix(s, "TZ=") && !strings.HasPrefix(s, "CRON_TZ=") {
		return s, blockZone, nil
	}
	head, rest, _ := strings.Cut(s, " ")
	_, zone, _ := strings.Cut(head, "=")
	if blockZone != "" && blockZone != zone {
		return "", "", fmt.Errorf("the schedule %q names time zone %s but the cron block's time_zone is %s; keep one", schedule, zone, blockZone)
	}
	return strings.TrimSpace(rest), zone, nil
}

// storage returns the container's mounts, the pod's volumes and the
// environment they need: the spec's ConfigMap, read-only; the state
// volume when the block names a claim (TMPDIR points into it, so that
// the backup lock and its journal outlive the pod); else, with a
// read-only root filesystem, a scratch /tmp for the lock.
func storage(kc *model.KubeCronJobs) ([]corev1.VolumeMount, []corev1.Volume, []corev1.EnvVar) {
	mounts := []corev1.VolumeMount{{Name: "spec", MountPath: SpecDir, ReadOnly: true}}
	volumes := []corev1.Volume{{
		Name: "spec",
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: kc.ConfigMap},
		}},
	}}
	var env []corev1.EnvVar
	switch {
	case kc.VolumeClaim != "":
		mounts = append(mounts, corev1.VolumeMount{Name: "state", MountPath: StateDir})
		volumes = append(volumes, corev1.Volume{
			Name: "state",
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
				ClaimName: kc.VolumeClaim,
			}},
		})
		env = append(env, corev1.EnvVar{Name: "TMPDIR", Value: StateDir})
	case !kc.Security.WritableRoot:
		mounts = append(mounts, corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"})
		volumes = append(volumes, corev1.Volume{
			Name:         "tmp",
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}},
		})
	}
	return mounts, volumes, env
}

// envFrom takes every key of each of the block's env_from_secrets as an
// environment variable.
func envFrom(kc *model.KubeCronJobs) []corev1.EnvFromSource {
	var out []corev1.EnvFromSource
	for _, s := range kc.EnvFromSecrets {
		out = append(out, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: s},
		}})
	}
	return out
}

// resources turns the block's requests and limits into the container's.
// The quantities were checked when the spec was read; one that does not
// parse is left out rather than guessed.
func resources(kc *model.KubeCronJobs) corev1.ResourceRequirements {
	list := func(m map[string]string) corev1.ResourceList {
		if len(m) == 0 {
			return nil
		}
		out := corev1.ResourceList{}
		for name, v := range m {
			if q, err := resource.ParseQuantity(v); err == nil {
				out[corev1.ResourceName(name)] = q
			}
		}
		return out
	}
	return corev1.ResourceRequirements{Requests: list(kc.Requests), Limits: list(kc.Limits)}
}

// podSecurity is the pod's security context: non-root unless the spec
// says otherwise, the ids it names, the runtime's default seccomp
// profile, and an fsGroup that lets the job write to its state volume.
func podSecurity(kc *model.KubeCronJobs) *corev1.PodSecurityContext {
	sc := kc.Security
	out := &corev1.PodSecurityContext{
		RunAsUser:      sc.RunAsUser,
		RunAsGroup:     sc.RunAsGroup,
		FSGroup:        sc.FSGroup,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if !sc.AllowRoot {
		out.RunAsNonRoot = ptr(true)
	}
	if out.FSGroup == nil && kc.VolumeClaim != "" {
		g := ImageGroup
		if sc.RunAsGroup != nil {
			g = *sc.RunAsGroup
		}
		out.FSGroup = ptr(g)
	}
	return out
}

// containerSecurity is the container's security context: no privilege
// escalation, no capabilities (redisplan needs none: it talks to Redis
// and storage over the network and writes only its own files), and a
// read-only root filesystem unless the spec turns it off.
func containerSecurity(kc *model.KubeCronJobs) *corev1.SecurityContext {
	out := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	if !kc.Security.WritableRoot {
		out.ReadOnlyRootFilesystem = ptr(true)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
