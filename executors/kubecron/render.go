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
	args = append(args, "-no-color", "-config", SpecDir, "-target", t.Name)
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
	return corev1.PodSpec{
		RestartPolicy: restart,
		Containers: []corev1.Container{{
			Name:  "redisplan",
			Image: kc.Image,
			Args:  args,
			Env:   env,
			VolumeMounts: []corev1.VolumeMount{{
				Name: "spec", MountPath: SpecDir, ReadOnly: true,
			}},
		}},
		Volumes: []corev1.Volume{{
			Name: "spec",
			VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: kc.ConfigMap},
			}},
		}},
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

func ptr[T any](v T) *T { return &v }
