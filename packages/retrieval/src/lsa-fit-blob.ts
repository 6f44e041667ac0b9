import type { LsaModel } from './lsa.js';

/*
 * An LSA fit as one bytea (embedding_models.fit): a length-prefixed JSON header (model id, sizes,
 * vocabulary), then the idf values (float64) and the components (float32), read back without
 * parsing numbers. About 0.4 MB per 1,000 vocabulary terms at k = 100.
 */

export function encodeLsaFit(model: LsaModel): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      modelId: model.modelId,
      dimensions: model.dimensions,
      fittedOn: model.fittedOn,
      terms: model.terms,
    }),
  );
  const headerBytes = Math.ceil((4 + header.length) / 8) * 8;
  const out = Buffer.alloc(headerBytes + model.idf.byteLength + model.components.byteLength);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  Buffer.from(model.idf.buffer, model.idf.byteOffset, model.idf.byteLength).copy(out, headerBytes);
  Buffer.from(model.components.buffer, model.components.byteOffset, model.components.byteLength).copy(
    out,
    headerBytes + model.idf.byteLength,
  );
  return out;
}

export function decodeLsaFit(blob: Buffer): LsaModel {
  const headerLength = blob.readUInt32LE(0);
  const header = JSON.parse(blob.subarray(4, 4 + headerLength).toString('utf8')) as Omit<
    LsaModel,
    'idf' | 'components'
  >;
  const terms = header.terms.length;
  const start = Math.ceil((4 + headerLength) / 8) * 8;
  // Copied into fresh, aligned buffers: a pg Buffer may sit at any offset of a shared pool.
  const bytes = Uint8Array.from(blob.subarray(start));
  const idf = new Float64Array(bytes.buffer, 0, terms);
  const components = new Float32Array(bytes.buffer, terms * 8, terms * header.dimensions);
  if (bytes.byteLength !== terms * 8 + terms * header.dimensions * 4)
    throw new Error('LSA fit blob is truncated');
  return { ...header, idf, components };
}
