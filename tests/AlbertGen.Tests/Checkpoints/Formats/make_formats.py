#!/usr/bin/python3
"""Recipe for the checkpoint-format test data in this folder (run by hand; the build and the tests never run it).

    /usr/bin/python3 make_formats.py ../../../../../shared/fixtures/models .

Needs Debian's python3-torch (1.13), python3-h5py and python3-msgpack. For every golden fixture checkpoint
(`tiny`, `tiny-groups`, and each of their `heads/*`) it reads `model.safetensors` and writes the same weights as

  <model>/<checkpoint>/zip/pytorch_model.bin         torch.save (zip format)
  <model>/<checkpoint>/legacy/pytorch_model.bin      torch.save(..., _use_new_zipfile_serialization=False)
  <model>/<checkpoint>/sharded/pytorch_model-0000N-of-00002.bin + pytorch_model.bin.index.json
  <model>/<checkpoint>/flax/flax_model.msgpack       flax.serialization's msgpack of HF's Flax tree
  <model>/<checkpoint>/tf/tf_model.h5                Keras save_weights HDF5 in HF's TF layout

following transformers' own conversion rules (modeling_flax_pytorch_utils.py: Linear weight -> kernel transposed,
LayerNorm weight -> scale, Embedding weight -> embedding; modeling_tf_pytorch_utils.py: the model's Keras name as the
first level, `albert_layer_groups_._0`, Dense weight -> kernel transposed, LayerNorm weight/bias -> gamma/beta,
position/token-type embedding weight -> embeddings, `predictions/decoder/bias`). The PyTorch files hold what HF's
PyTorch checkpoints hold: the pretraining checkpoint also has the tied `predictions.decoder.weight` (sharing the word
embeddings' storage), `predictions.decoder.bias` (sharing `predictions.bias`) and the int64 `position_ids` buffer.

`special/` holds tensors whose layout the reader must honour: float16 and bfloat16, a transposed (non-contiguous)
view, views at storage offsets, and two names sharing one storage, in both PyTorch formats, with
`expected.safetensors` holding each tensor's values made contiguous by torch.
"""
import json
import os
import struct
import sys

import h5py
import msgpack
import numpy as np
import torch

TF_MODEL_NAMES = {
    "pretraining": ("tf_albert_for_pre_training", ["albert", "predictions", "sop_classifier"]),
    "seqcls-single3": ("tf_albert_for_sequence_classification", ["albert", "dropout", "classifier"]),
    "seqcls-regression1": ("tf_albert_for_sequence_classification", ["albert", "dropout", "classifier"]),
    "seqcls-multilabel4": ("tf_albert_for_sequence_classification", ["albert", "dropout", "classifier"]),
    "tokcls5": ("tf_albert_for_token_classification", ["albert", "dropout", "classifier"]),
    "qa": ("tf_albert_for_question_answering", ["albert", "qa_outputs"]),
    "multiplechoice": ("tf_albert_for_multiple_choice", ["albert", "dropout", "classifier"]),
}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", e
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"]).copy())
    return out


def write_safetensors(path, tensors):
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def pytorch_state(sd, pretraining):
    sd = dict(sd)
    if pretraining:
        # As HF's AlbertForPreTraining.state_dict(): tied decoder tensors share storage; position_ids is a buffer.
        sd["predictions.decoder.weight"] = sd["albert.embeddings.word_embeddings.weight"]
        sd["predictions.decoder.bias"] = sd["predictions.bias"]
        positions = sd["albert.embeddings.position_embeddings.weight"].shape[0]
        sd["albert.embeddings.position_ids"] = torch.arange(positions).expand((1, -1))
    return sd


def save_sharded(sd, folder):
    keys = list(sd)
    half = len(keys) // 2
    shards = [keys[:half], keys[half:]]
    weight_map, total = {}, 0
    for i, part in enumerate(shards):
        name = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        torch.save({k: sd[k] for k in part}, os.path.join(folder, name))
        for k in part:
            weight_map[k] = name
            total += sd[k].numel() * sd[k].element_size()
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def is_layer_norm(key):
    return "LayerNorm" in key or "layer_norm" in key


def flax_tree(sd):
    tree = {}
    for key, t in sd.items():
        parts = key.split(".")
        a = t.numpy()
        if parts[-1] == "weight":
            if is_layer_norm(key):
                parts[-1] = "scale"
            elif parts[-2].endswith("_embeddings"):
                parts[-1] = "embedding"
            else:
                parts[-1], a = "kernel", a.T
        node = tree
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = np.ascontiguousarray(a)
    return tree


def flax_pack(tree):
    def ext(obj):
        if isinstance(obj, np.ndarray):
            return msgpack.ExtType(1, msgpack.packb((obj.shape, obj.dtype.name, obj.tobytes("C")), use_bin_type=True))
        raise TypeError(type(obj))
    return msgpack.packb(tree, default=ext, strict_types=True, use_bin_type=True)


def tf_name(key, model_name):
    parts = key.split(".")
    out = []
    for i, p in enumerate(parts):
        if p.isdigit():
            out[-1] = out[-1] + "_._" + p
        else:
            out.append(p)
    a_transpose = False
    if out[-1] == "weight":
        if is_layer_norm(key):
            out[-1] = "gamma"
        elif out[-2] == "word_embeddings":
            out[-1] = "weight"
        elif out[-2].endswith("_embeddings"):
            out[-1] = "embeddings"
        else:
            out[-1], a_transpose = "kernel", True
    elif out[-1] == "bias" and is_layer_norm(key):
        out[-1] = "beta"
    return model_name + "/" + "/".join(out) + ":0", a_transpose


def save_tf(sd, path, checkpoint):
    model_name, layers = TF_MODEL_NAMES[checkpoint]
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([l.encode() for l in layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.11.0"
        for layer in layers:
            g = f.create_group(layer)
            names = []
            for key, t in sd.items():
                if key.split(".")[0] != layer:
                    continue
                name, transpose = tf_name(key, model_name)
                a = t.numpy().T if transpose else t.numpy()
                g.create_dataset(name, data=np.ascontiguousarray(a))
                names.append(name.encode())
            if layer == "predictions":
                # TFAlbertMLMHead has a separate decoder bias weight (HF copies predictions.bias into it).
                name = model_name + "/predictions/decoder/bias:0"
                g.create_dataset(name, data=sd["predictions.bias"].numpy())
                names.append(name.encode())
            g.attrs["weight_names"] = np.array(names) if names else np.array([], dtype="S1")


def make_checkpoint(source, out, checkpoint):
    sd = read_safetensors(source)
    pt = pytorch_state(sd, checkpoint == "pretraining")
    for sub in ["zip", "legacy", "sharded", "flax", "tf"]:
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    torch.save(pt, os.path.join(out, "zip", "pytorch_model.bin"))
    torch.save(pt, os.path.join(out, "legacy", "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    save_sharded(sd, os.path.join(out, "sharded"))
    with open(os.path.join(out, "flax", "flax_model.msgpack"), "wb") as f:
        f.write(flax_pack(flax_tree(sd)))
    save_tf(sd, os.path.join(out, "tf", "tf_model.h5"), checkpoint)


def make_special(out):
    torch.manual_seed(7)
    base = torch.randn(6, 5)
    shared = torch.randn(24)
    sd = {
        "f32": torch.randn(3, 4),
        "f16": torch.randn(3, 4).half(),
        "bf16": torch.randn(2, 5).bfloat16(),
        "transposed": base.t(),                  # [5, 6], strides (1, 5)
        "offset_rows": base[2:5],                # offset 10
        "column": base[:, 3],                    # offset 3, stride 5
        "shared_a": shared.view(4, 6),
        "shared_b": shared[6:18].view(3, 4),     # same storage, offset 6
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    os.makedirs(os.path.join(out, "zip"), exist_ok=True)
    os.makedirs(os.path.join(out, "legacy"), exist_ok=True)
    torch.save(sd, os.path.join(out, "zip", "pytorch_model.bin"))
    torch.save(sd, os.path.join(out, "legacy", "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    write_safetensors(os.path.join(out, "expected.safetensors"), {k: v.contiguous() for k, v in sd.items()})


def main(models, out):
    for model in ["tiny", "tiny-groups"]:
        make_checkpoint(os.path.join(models, model, "model.safetensors"), os.path.join(out, model, "pretraining"), "pretraining")
        for head in sorted(os.listdir(os.path.join(models, model, "heads"))):
            make_checkpoint(os.path.join(models, model, "heads", head, "model.safetensors"), os.path.join(out, model, head), head)
    make_special(os.path.join(out, "special"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
