import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * A small renderer for the subset of kustomize that deploy/k8s uses, because no kustomize binary
 * exists where the tests run: `resources` (files and directories with a kustomization.yaml),
 * `namespace`, `images` (newName/newTag) and `patches` with strategic-merge patch files. Strategic
 * merge here: maps merge recursively, lists of objects that all have a `name` merge by name
 * (containers, env, ports), and any other list is replaced, as Kubernetes does for lists without a
 * patch merge key (Ingress rules and tls). deploy/k8s must stay within this subset; the test that
 * uses this fails on any other kustomization field.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<string, unknown>;
  [key: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ path: string }>;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);

export function readManifests(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function render(directory: string): K8sObject[] {
  const kustomization = parse(readFileSync(join(directory, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unsupported = Object.keys(kustomization).filter((k) => !SUPPORTED.has(k));
  if (unsupported.length > 0)
    throw new Error(`${directory}: unsupported kustomization fields ${unsupported}`);

  let objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(directory, resource);
    objects.push(...(resource.endsWith('.yaml') ? readManifests(path) : render(path)));
  }
  for (const patch of kustomization.patches ?? []) {
    for (const p of readManifests(join(directory, patch.path))) {
      const index = objects.findIndex((o) => o.kind === p.kind && o.metadata.name === p.metadata.name);
      if (index === -1) throw new Error(`${patch.path}: no ${p.kind} ${p.metadata.name} to patch`);
      objects[index] = merge(objects[index], p) as K8sObject;
    }
  }
  if (kustomization.namespace) {
    const namespace = kustomization.namespace;
    objects = objects.map((o) =>
      o.kind === 'Namespace' ? o : { ...o, metadata: { ...o.metadata, namespace } },
    );
  }
  for (const image of kustomization.images ?? []) objects = objects.map((o) => setImage(o, image));
  return objects;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const result: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) result[key] = merge(base[key], value);
    return result;
  }
  const named = (list: unknown): list is Array<{ name: string }> =>
    Array.isArray(list) &&
    list.length > 0 &&
    list.every((item) => isObject(item) && typeof item.name === 'string');
  if (named(base) && named(patch)) {
    const result = [...base];
    for (const item of patch) {
      const at = result.findIndex((b) => b.name === item.name);
      if (at === -1) result.push(item);
      else result[at] = merge(result[at], item) as { name: string };
    }
    return result;
  }
  return patch;
}

function setImage(object: unknown, image: { name: string; newName?: string; newTag?: string }): K8sObject {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'image' && typeof value === 'string') {
        const [name, tag] = splitImage(value);
        out[key] = name === image.name ? `${image.newName ?? name}:${image.newTag ?? tag}` : value;
      } else out[key] = walk(value);
    }
    return out;
  };
  return walk(object) as K8sObject;
}

function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
}
