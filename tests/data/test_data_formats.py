"""Byte-format facts of the writers, checked with decoders that are not ours.

If the writers and the loaders shared a misunderstanding of a format, the loader tests would
still pass; these tests pin the formats themselves against pycocotools, panopticapi, pickletools,
PIL, OpenCV and scipy, and against constants published with the datasets.
"""

from __future__ import annotations

import pickle
import pickletools

import cv2
import numpy as np
import pytest
from PIL import Image

from seem_bench.data import writers


def test_py2_pickle_is_protocol_2_with_byte_strings():
    obj = [{"ref_id": 7, "sentences": [{"raw": "the café", "sent_id": 70000}], "split": "testA",
            "big": 2**40, "neg": -5, "x": 1.5, "none": None, "pair": (1, "a")}]
    data = writers.py2_pickle_bytes(obj)
    assert data[:2] == b"\x80\x02"  # PROTO opcode, protocol 2
    ops = {op.name for op, _, _ in pickletools.genops(data)}
    assert "SHORT_BINSTRING" in ops  # Python 2 `str`
    assert not ops & {"BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}  # no Python 3 text opcodes
    # Python 3 with its default ASCII decoding cannot read non-ASCII Python 2 strings...
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(data)
    # ...but the bytes are the UTF-8 of the text, as Python 2 `str` literals were.
    raw = pickle.loads(data, encoding="bytes")
    assert raw[0][b"sentences"][0][b"raw"] == "the café".encode()
    assert raw[0][b"big"] == 2**40 and raw[0][b"neg"] == -5 and raw[0][b"x"] == 1.5
    assert raw[0][b"none"] is None and raw[0][b"pair"] == (1, b"a")


def test_ascii_py2_pickle_loads_with_plain_pickle():
    data = writers.py2_pickle_bytes([{"split": "val", "ann_id": 300000}])
    assert pickle.loads(data) == [{"split": "val", "ann_id": 300000}]


def test_palette_png_is_mode_p_with_the_voc_palette(tmp_path):
    lab = np.array([[0, 1, 2], [3, 255, 16]], np.uint8)
    writers.write_palette_png(tmp_path / "a.png", lab)
    with Image.open(tmp_path / "a.png") as im:
        assert im.format == "PNG" and im.mode == "P"
        pal = np.array(im.getpalette(), np.uint8).reshape(-1, 3)
        assert (np.array(im) == lab).all()
    # Published VOC/DAVIS palette entries (VOCdevkit VOClabelcolormap.m).
    assert pal[1].tolist() == [128, 0, 0] and pal[2].tolist() == [0, 128, 0]
    assert pal[3].tolist() == [128, 128, 0] and pal[16].tolist() == [0, 64, 0]
    assert pal[255].tolist() == [224, 224, 192]
    # OpenCV expands the palette: the void colour's grey level is RITM's 220.
    grey = cv2.cvtColor(cv2.imread(str(tmp_path / "a.png")), cv2.COLOR_BGR2GRAY)
    assert grey[1, 1] == round(0.299 * 224 + 0.587 * 224 + 0.114 * 192) == 220
    assert grey[0, 1] == grey[1, 2] == round(0.299 * 128) == 38  # index 1 and 16 collide in grey


def test_panoptic_png_ids_decode_with_panopticapi(tmp_path):
    from panopticapi.utils import rgb2id

    ids = np.array([[0, 1, 255], [256, 65536, 3226956]], np.int64)
    writers.write_panoptic_png(tmp_path / "p.png", ids)
    with Image.open(tmp_path / "p.png") as im:
        assert im.mode == "RGB"
        rgb = np.array(im)
    assert (rgb2id(rgb) == ids).all()
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    assert (r + 256 * g + 256**2 * b == ids).all()
    assert rgb[1, 2].tolist() == [3226956 % 256, 3226956 // 256 % 256, 3226956 // 65536]


@pytest.mark.parametrize("seed", range(6))
def test_rle_matches_pycocotools(seed):
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 40, 2)
    m = rng.random((h, w)) < rng.uniform(0.05, 0.95)
    if seed == 0:
        m[:] = False
    if seed == 1:
        m[:] = True
    ref = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    comp = writers.mask_to_rle(m, compressed=True)
    assert comp["counts"] == ref["counts"].decode() and comp["size"] == [h, w]
    assert (mask_utils.decode({"size": comp["size"], "counts": comp["counts"]}) == m).all()
    unc = writers.mask_to_rle(m, compressed=False)
    assert (mask_utils.decode(mask_utils.frPyObjects(unc, int(h), int(w))) == m).all()


def test_rle_counts_large_values_and_negative_deltas():
    from pycocotools import mask as mask_utils

    m = np.zeros((300, 400), bool)
    m[10:290, 5:6] = True  # long runs then a short one: deltas go negative
    m[0:3, 200:380] = True
    ref = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))["counts"].decode()
    assert writers.mask_to_rle(m, compressed=True)["counts"] == ref


def test_polygons_rasterise_close_to_the_mask():
    from pycocotools import mask as mask_utils

    m = np.zeros((40, 50), bool)
    m[5:30, 10:40] = True
    m[32:38, 2:8] = True
    polys = writers.mask_to_polygons(m)
    assert len(polys) == 2 and all(len(p) % 2 == 0 and len(p) >= 6 for p in polys)
    dec = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polys, 40, 50))).astype(bool)
    iou = (dec & m).sum() / (dec | m).sum()
    assert iou > 0.85  # polygons through boundary-pixel centres lose about half a pixel per side


def test_sbd_mat_reads_as_ritm_reads_it_and_is_reproducible(tmp_path):
    from scipy.io import loadmat

    seg = np.zeros((6, 7), np.uint8)
    seg[1:3, 1:3], seg[4:6, 2:7] = 1, 2
    writers.write_sbd_mat(tmp_path / "a.mat", seg, [15, 7])
    writers.write_sbd_mat(tmp_path / "b.mat", seg, [15, 7])
    data = (tmp_path / "a.mat").read_bytes()
    assert data[:19] == b"MATLAB 5.0 MAT-file"
    assert data[126:128] == b"IM"  # little-endian v5 file
    assert data == (tmp_path / "b.mat").read_bytes()
    gt = loadmat(str(tmp_path / "a.mat"))["GTinst"]
    assert (gt[0][0][0] == seg).all()  # RITM: loadmat(...)['GTinst'][0][0][0]
    assert gt.dtype.names == ("Segmentation", "Boundaries", "Categories")
    assert gt["Categories"][0, 0].ravel().tolist() == [15, 7]


def test_davis_layout_and_list_files(tmp_path):
    lab = np.zeros((4, 5), np.uint8)
    lab[1, 1] = 2
    writers.write_davis(tmp_path, {"dog": [(np.zeros((4, 5, 3), np.uint8), lab)] * 2}, {"val": ["dog"]})
    assert sorted(p.name for p in (tmp_path / "JPEGImages/480p/dog").iterdir()) == ["00000.jpg", "00001.jpg"]
    assert (tmp_path / "ImageSets/2017/val.txt").read_text() == "dog\n"
    with Image.open(tmp_path / "Annotations/480p/dog/00001.png") as im:
        assert im.mode == "P" and np.array(im)[1, 1] == 2


def test_voc_colormap_matches_the_devkit_formula():
    cmap = writers.voc_colormap()
    for i in (5, 21, 200):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        assert cmap[i].tolist() == [r, g, b]
