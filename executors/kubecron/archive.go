package kubecron

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/executors/systemd"
	"github.com/redisplan/redisplan/internal/model"
)

// ArchiveGracePeriod is how long Kubernetes waits after SIGTERM before it
// kills the archiver: it commits its buffered tail on SIGTERM, which a
// minute covers even on a slow store.
const ArchiveGracePeriod int64 = 60

// BuildArchive returns the Deployment that keeps the target's archiver
// running, nil when the target has no archive block. One replica, and the
// Recreate strategy: a rollout stops the old archiver before the new one
// starts, since two archivers of one server would follow it twice.
func BuildArchive(t *model.Target, kc *model.KubeCronJobs) *appsv1.Deployment {
	j, ok := crontab.ArchiveJob(t)
	if !ok {
		return nil
	}
	labels := jobLabels(t, j)
	pod := podSpec(t, kc, j, corev1.RestartPolicyAlways)
	pod.TerminationGracePeriodSeconds = ptr(ArchiveGracePeriod)
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        systemd.UnitName(schedfiles.Name(kc.ID, t.Name), j.Name),
			Namespace:   kc.Namespace,
			Labels:      labels,
			Annotations: map[string]string{AnnotationTarget: t.Name},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       pod,
			},
		},
	}
}
