package attrib

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Pods indexes the pods of one node by container id and pod UID, from a
// watch on the API server (only this node's pods: spec.nodeName).
type Pods struct {
	node     string
	mu       sync.RWMutex
	byID     map[string]*event.Pod // container id -> pod and container
	byUID    map[string]*event.Pod // pod UID -> pod, container unknown
	informer cache.SharedIndexInformer
}

// NewPods starts watching the node's pods; Run must be called.
func NewPods(cs kubernetes.Interface, node string) *Pods {
	p := &Pods{node: node, byID: map[string]*event.Pod{}, byUID: map[string]*event.Pod{}}
	sel := fields.OneTermEqualSelector("spec.nodeName", node).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods("").List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods("").Watch(ctx, o)
		},
	}
	p.informer = cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 10*time.Minute, cache.Indexers{})
	_, _ = p.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { p.put(o) },
		UpdateFunc: func(_, o any) { p.put(o) },
		DeleteFunc: func(o any) {
			if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			if pod, ok := o.(*corev1.Pod); ok {
				p.remove(pod)
			}
		},
	})
	return p
}

// Run watches until ctx ends; Synced reports the first list.
func (p *Pods) Run(ctx context.Context) { p.informer.RunWithContext(ctx) }

// WaitSynced waits for the first list of pods.
func (p *Pods) WaitSynced(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), p.informer.HasSynced) {
		return fmt.Errorf("pods of node %s: the first list did not complete", p.node)
	}
	return nil
}

// Lookup returns the pod of a container, by its id, or by its pod's UID
// when the kubelet has not reported the container's id yet (the
// container's name is then empty).
func (p *Pods) Lookup(c Container) *event.Pod {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if pod := p.byID[c.ID]; pod != nil {
		return pod
	}
	return p.byUID[c.PodUID]
}

func (p *Pods) put(o any) {
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removeLocked(pod)
	base := event.Pod{
		Node: p.node, Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID),
		Workload: Workload(pod), Labels: pod.Labels, ServiceAccount: pod.Spec.ServiceAccountName,
	}
	p.byUID[string(pod.UID)] = &base
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, s := range list {
			id := containerID(s.ContainerID)
			if id == "" {
				continue
			}
			c := base
			c.Container, c.ContainerID, c.Image, c.ImageID = s.Name, id, s.Image, s.ImageID
			p.byID[id] = &c
		}
	}
}

func (p *Pods) remove(pod *corev1.Pod) {
	p.mu.Lock()
	p.removeLocked(pod)
	p.mu.Unlock()
}

func (p *Pods) removeLocked(pod *corev1.Pod) {
	delete(p.byUID, string(pod.UID))
	for id, c := range p.byID {
		if c.UID == string(pod.UID) {
			delete(p.byID, id)
		}
	}
}

// containerID strips the runtime scheme of a status's containerID
// (containerd://<id>).
func containerID(s string) string {
	if _, id, ok := strings.Cut(s, "://"); ok {
		return id
	}
	return s
}

// Workload names the pod's top controller as kind/name: a ReplicaSet with
// the pod-template-hash of a Deployment is that Deployment; a pod without
// a controller is itself.
func Workload(pod *corev1.Pod) string {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return "Pod/" + pod.Name
	}
	if h := pod.Labels["pod-template-hash"]; ref.Kind == "ReplicaSet" && h != "" && strings.HasSuffix(ref.Name, "-"+h) {
		return "Deployment/" + strings.TrimSuffix(ref.Name, "-"+h)
	}
	return ref.Kind + "/" + ref.Name
}
