"""Shapes (confinement/shapes.py registry, confinement/geometry.py) and the full g-tensor of their doublets.

Cuboids of complete octahedra and faceted cubes keep the subgroup of C4h = ⟨C4z, inversion⟩ read off
their Pb sites (C4h, C2h, Ci, C1); the solver's symmetry blocks use it, and a finite field along x or
y is never solved in blocks that assume B ∥ z. Physics checks: a cube's tensor is isotropic, a
cuboid's is axially symmetric about its long axis, turning the shape turns the tensor (g' = R g Rᵀ),
and the first-order tensor agrees with finite-field splittings along x, y and z. Systems: ≤ 4 Pb per
edge (TB), ≤ 3 nm boxes (k·p).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from comparisons.cli import main
from comparisons.sweeps.sweep_config import KPModel, TBModel
from confinement import shapes
from confinement.coulomb import coulomb_shift
from confinement.doublets import band_edge_gfactors, solver_hints
from confinement.errors import ParameterError, UnknownNameError
from confinement.geometry import OctahedraCube, OctahedraCuboid
from confinement.gfactor import GTensor
from confinement.magnetic import hamiltonian_in_field
from confinement.symmetry import SiteSymmetry, group_sector_bases, symmetry_sectors
from kp.cube import GridCube, GridCuboid, cube_gfactors
from kp.materials import material_parameters
from kp.nanocrystal import kp_nanocrystal
from tightbinding.bulk import bulk_tb
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import build_nanocrystal, make_shape, nanocrystal_gfactors
from tightbinding.parameters import load_tb_parameters

#: Two opposite {111} corners cut from a 3-cube: D3d about [111], which keeps inversion but no z rotation.
D3D_CUTS = (((1, 1, 1), 2.0), ((-1, -1, -1), 2.0))
#: Proper rotation taking z to x (x → y, y → z): a lattice symmetry of the cubic crystal.
Z_TO_X = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.fixture(scope="module")
def crystal() -> Crystal:
    return Crystal(load_tb_parameters("CsPbI3-N21-exp"))


@pytest.fixture(scope="module")
def sigma_gap(crystal) -> tuple[float, float]:
    bulk = bulk_tb(crystal)
    return bulk.E_vbm + bulk.Eg / 2, bulk.Eg / 2


def _tensors(crystal, shape, **options) -> dict:
    return nanocrystal_gfactors(crystal, shape, **options)


@pytest.mark.parametrize("edges, group", [((2, 2, 3), "C4h"), ((3, 2, 2), "C2h"), ((2, 3, 4), "C2h")])
def test_cuboid_counts_centre_and_point_group(crystal, edges, group):
    # Fails if a cuboid of complete octahedra is not Nx·Ny·Nz Pb and 3NxNyNz + NxNy + NyNz + NzNx X,
    # not centred on its inversion centre, or if the group read off the Pb sites differs from the
    # one the built system (all sites, orbitals) keeps.
    shape = OctahedraCuboid(edges, crystal.a)
    nx, ny, nz = edges
    assert shape.expected_counts() == {"Pb": nx * ny * nz, "X": 3 * nx * ny * nz + nx * ny + ny * nz + nz * nx}
    system = build_nanocrystal(crystal, shape)            # the build itself checks the counts
    assert np.allclose(system.positions.mean(axis=0), 0.0, atol=1e-12)
    assert shape.point_group == system.point_group() == group
    assert shape.edge_nm == pytest.approx(np.prod(edges) ** (1 / 3) * crystal.a)


def test_cut_shapes_keep_the_subgroup_their_sites_keep(crystal):
    # Fails if the facets' symmetry is not read off correctly: corner and edge facets of a cube keep
    # C4h, two opposite {111} corners only inversion (Ci), a single corner nothing (C1).
    assert OctahedraCuboid((6, 6, 6), crystal.a, corner_cut=1, edge_cut=1).point_group == "C4h"
    assert OctahedraCuboid((4, 4, 6), crystal.a, corner_cut=1).point_group == "C4h"
    assert OctahedraCuboid((3, 3, 3), crystal.a, cuts=D3D_CUTS).point_group == "Ci"
    assert OctahedraCuboid((3, 3, 3), crystal.a, cuts=D3D_CUTS[:1]).point_group == "C1"
    faceted = OctahedraCuboid((4, 4, 4), crystal.a, corner_cut=1)
    assert faceted.expected_counts()["Pb"] == 64 - 8 and faceted.kind == "faceted"
    assert OctahedraCube(4, crystal.a).point_group == "C4h"


@pytest.mark.parametrize("make, message", [
    (lambda c: make_shape(c, "cuboid", n_pb=(6, 6)), "three edges Nx,Ny,Nz"),
    (lambda c: make_shape(c, "cube", n_pb=(6, 6, 9)), "a cube has one edge"),
    (lambda c: make_shape(c, "cube", n_pb=4, corner_cut=1), "faceted"),
    (lambda c: OctahedraCuboid((3, 3, 3), c.a, corner_cut=-1), "corner_cut must be an integer"),
    (lambda c: OctahedraCuboid((3, 3, 3), c.a, cuts=(((0, 0, 0), 1.0),)), "non-zero integer normal"),
    (lambda c: OctahedraCuboid((2, 2, 2), c.a, cuts=(((1, 1, 1), -9.0),)), "leave no Pb site"),
    (lambda c: OctahedraCuboid((3, 3, 3), c.a).rotated(np.diag([1.0, 1.0, -1.0])), "proper signed permutation"),
])
def test_bad_shape_input_is_refused_by_name(crystal, make, message):
    with pytest.raises(ParameterError, match=message):
        make(crystal)


@pytest.mark.parametrize("argv, message", [
    (["nc", "--shape", "cuboid", "--n-pb", "6,6"], "needs three edges --n-pb Nx,Ny,Nz"),
    (["nc", "--shape", "cuboid"], "needs --n-pb Nx,Ny,Nz"),
    (["nc", "--shape", "cuboid", "--n-pb", "3:5"], "not a size series"),
    (["nc", "--shape", "cube", "--n-pb", "4", "--corner-cut", "1"], "facet a --shape faceted"),
    (["nc", "--model", "kp", "--shape", "cuboid", "--edge-nm", "3"], "needs --edges-nm"),
    (["nc", "--model", "kp", "--shape", "cuboid", "--edges-nm", "3,3"], "expects 3 comma-separated numbers"),
    (["nc", "--shape", "cube", "--n-pb", "3", "--field-axes", "xw"], "field_axes must name distinct axes"),
])
def test_cli_refuses_bad_shapes_with_a_clear_message(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cube_g_tensor_is_isotropic_and_matches_finite_fields(crystal):
    # Fails if the cube's principal values differ (cubic symmetry: g_xx = g_yy = g_zz to 1e-8), or if
    # the finite-field splittings along x, y, z (x and y solved without the z-rotation blocks) miss
    # the first-order tensor by more than the O(B²) terms at 1 T.
    record = _tensors(crystal, make_shape(crystal, "cube", n_pb=3), field_axes="xyz")
    for key in ("g_e", "g_h"):
        principal = record[f"{key}_principal"]
        assert principal["spread"] < 1e-8
        assert np.allclose(principal["principal_axes"], np.eye(3))
        assert np.allclose(principal["principal_values"], record[key], atol=1e-8)
        check = record[f"{key}_field_check"]
        assert set(check) == {"x", "y", "z", "max_deviation"} and check["max_deviation"] < 1e-6


def test_cuboid_tensor_is_axial_about_its_long_axis(crystal):
    # Fails if the C4h cuboid (3, 3, 4) is not axially symmetric about z (g_xx = g_yy, axes = the
    # crystal axes), if it is not genuinely anisotropic, or if first order and finite fields disagree.
    record = _tensors(crystal, make_shape(crystal, "cuboid", n_pb=(3, 3, 4)), field_axes="xyz")
    assert record["point_group"] == "C4h"
    for key in ("g_e", "g_h"):
        p = record[f"{key}_principal"]
        assert p["transverse_splitting"] < 1e-8                 # C4z: g_xx = g_yy exactly
        assert abs(p["unique_axis"][2]) == pytest.approx(1.0, abs=1e-10)
        assert abs(p["axial_splitting"]) > 1e-2                 # the long axis differs
        assert record[f"{key}_field_check"]["max_deviation"] < 1e-6
    tensor = np.array(record["g_e_tensor"])
    assert np.max(np.abs(tensor - np.diag(np.diag(tensor)))) < 1e-10


def test_rotating_the_shape_rotates_the_tensor(crystal):
    # Fails if g' = R g Rᵀ does not hold when the shape is turned by a lattice rotation R: the box
    # (3, 3, 4) turned z → x is (4, 3, 3) (group C2h, other blocks); the D3d shape (axis [111], group
    # Ci: filtered/dense solver, Kramers pairs in the parity blocks) turned by C4z has its axis on [-1, 1, 1].
    box = OctahedraCuboid((3, 3, 4), crystal.a)
    d3d = OctahedraCuboid((3, 3, 3), crystal.a, cuts=D3D_CUTS)
    c4z = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    for shape, R in ((box, Z_TO_X), (d3d, c4z)):
        turned = shape.rotated(R)
        a = _tensors(crystal, shape, finite_field_T=None)
        b = _tensors(crystal, turned, finite_field_T=None)
        for key in ("g_e", "g_h"):
            g, g_turned = np.array(a[f"{key}_tensor"]), np.array(b[f"{key}_tensor"])
            np.testing.assert_allclose(g_turned, R @ g @ R.T, atol=1e-8)
    d3d_record = _tensors(crystal, d3d, finite_field_T=None)
    assert d3d_record["point_group"] == "Ci" and d3d_record["solver"] in ("dense", "filtered")
    axis = np.array(d3d_record["g_h_principal"]["unique_axis"])
    assert abs(axis @ np.ones(3)) / np.sqrt(3) == pytest.approx(1.0, abs=1e-8)    # axial about [111]


def test_c2h_blocks_are_joint_eigenspaces_and_kramers_free(crystal):
    # Fails if the C2z × inversion blocks of a cuboid with Nx ≠ Ny are not orthonormal eigenspaces that
    # reproduce the spectrum, or if time reversal does not pair them (2 of 4 solved, each state a doublet).
    system = build_nanocrystal(crystal, OctahedraCuboid((3, 2, 2), crystal.a))
    assert system.rotation_c4z() is None
    rotation = system.rotation_c2z()
    parity = SiteSymmetry.from_parity(*system.inversion(), system.offsets)
    bases = group_sector_bases([rotation, parity])
    assert len(bases) == 4 and sum(V.shape[1] for V in bases.values()) == system.n_orbitals
    full = np.linalg.eigvalsh(system.hamiltonian.toarray())
    spectra = []
    for (i, _), V in bases.items():
        Vd = V.toarray()
        np.testing.assert_allclose(Vd.conj().T @ Vd, np.eye(V.shape[1]), atol=1e-12)
        np.testing.assert_allclose(rotation.matrix @ Vd, rotation.eigenvalues[i] * Vd, atol=1e-12)
        spectra.append(np.linalg.eigvalsh((V.conj().T @ system.hamiltonian @ V).toarray()))
    np.testing.assert_allclose(np.sort(np.concatenate(spectra)), full, atol=1e-10)
    sectors = symmetry_sectors(system.hamiltonian, system.inversion(), True, rotation=rotation)
    assert len(sectors) == 2 and all(s.partner and s.theta is None for s in sectors)
    halves = np.concatenate([np.linalg.eigvalsh(s.matrix.toarray()) for s in sectors])
    np.testing.assert_allclose(np.sort(np.repeat(halves, 2)), full, atol=1e-10)


def test_fields_off_z_never_use_the_z_rotation_blocks(crystal):
    # Fails if the C2z blocks accept a Hamiltonian with B ∥ x (C2z flips B_x), or if the solver hints
    # for an off-z field still carry a rotation.
    system = build_nanocrystal(crystal, OctahedraCuboid((3, 2, 2), crystal.a))
    along_x = hamiltonian_in_field(system, np.array([2.0, 0.0, 0.0]))
    with pytest.raises(ParameterError, match="C2z rotation"):
        symmetry_sectors(along_x, system.inversion(), kramers=False, rotation=system.rotation_c2z())
    along_z = hamiltonian_in_field(system, np.array([0.0, 0.0, 2.0]))
    assert len(symmetry_sectors(along_z, system.inversion(), kramers=False, rotation=system.rotation_c2z())) == 4
    assert solver_hints(system, 0.8, kramers=False, rotation=False)["rotation"] is None


def test_shift_invert_is_refused_for_a_shape_without_a_z_rotation(crystal, sigma_gap):
    # Fails if a Ci shape (exact Kramers pairs in every block) is sent to the slicing solver instead
    # of being refused with the group named and the strategies that work.
    shape = OctahedraCuboid((3, 3, 3), crystal.a, cuts=D3D_CUTS)
    with pytest.raises(ParameterError, match=r"keeps only the group Ci.*'auto' \(dense for small systems, filtered"):
        nanocrystal_gfactors(crystal, shape, solver="shift-invert", finite_field_T=None)
    sigma, half_gap = sigma_gap
    record = band_edge_gfactors(build_nanocrystal(crystal, shape), sigma, solver="filtered", finite_field_T=None,
                                half_gap=half_gap)
    assert record["solver"] == "filtered" and record["point_group"] == "Ci"


def test_principal_form_of_a_general_tensor():
    # Fails if the principal values/axes are not the singular values/vectors of g with the J-convention
    # sign, or if g along a direction (signed, and the Larmor |gᵀn|) is wrong for a rotated axial tensor.
    rng = np.random.default_rng(7)
    R, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    R *= np.sign(np.linalg.det(R))
    g = R @ np.diag([1.2, 1.2, -0.4]) @ R.T
    gt = GTensor(g, 1, np.eye(3))
    values, axes = gt.principal()
    assert sorted(values) == pytest.approx([-0.4, 1.2, 1.2], abs=1e-12)
    assert abs(axes[np.argmin(values)] @ R[:, 2]) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(gt.larmor(R.T), [1.2, 1.2, 0.4], atol=1e-12)
    np.testing.assert_allclose(gt.along(R.T), [1.2, 1.2, -0.4], atol=1e-12)
    summary = gt.summary()
    assert summary["axial_splitting"] == pytest.approx(-1.6) and summary["transverse_splitting"] < 1e-12


def test_kp_cuboid_is_the_cube_path_and_rotates_with_the_box():
    # Fails if the k·p box with equal steps differs from the cube (same finite-difference path), if
    # a (2, 2, 3) nm box is not axial about z with a finite-field check along x, y, z, or if turning
    # the box (z → x) does not turn its tensor.
    params = material_parameters("CsPbI3")
    cube = cube_gfactors(params, GridCube(2.0, 8), finite_field_T=None)
    box = cube_gfactors(params, GridCuboid((8, 8, 8), 0.25), finite_field_T=None)
    np.testing.assert_allclose(box["g_e_tensor"], cube["g_e_tensor"], atol=1e-10)
    long_z = cube_gfactors(params, GridCuboid.from_edges((2.0, 2.0, 3.0), 0.25, even=False), field_axes="xyz")
    long_x = cube_gfactors(params, GridCuboid.from_edges((3.0, 2.0, 2.0), 0.25, even=False), finite_field_T=None)
    assert long_z["point_group"] == "C4h" and long_x["point_group"] == "C2h"
    for key in ("g_e", "g_h"):
        p = long_z[f"{key}_principal"]
        assert p["transverse_splitting"] < 1e-8 and abs(p["unique_axis"][2]) == pytest.approx(1.0, abs=1e-10)
        assert long_z[f"{key}_field_check"]["max_deviation"] < 1e-5
        np.testing.assert_allclose(long_x[f"{key}_tensor"], Z_TO_X @ np.array(long_z[f"{key}_tensor"]) @ Z_TO_X.T,
                                   atol=1e-8)


# --- the shape registry (confinement.shapes): a new shape is one class --------------------------

@dataclass(frozen=True)
class _Octahedron(shapes.Shape):
    """Test shape: Pb sites with |u_x| + |u_y| + |u_z| ≤ N (units of a) about a central Pb."""

    name: ClassVar[str] = "octahedron"
    summary: ClassVar[str] = "octahedron (test): Pb within N steps (1-norm) of a central Pb"
    isotropic: ClassVar[bool] = True

    n_pb: int
    a: float

    @classmethod
    def from_size(cls, a, *, n_pb=None, diameter_nm=None, corner_cut=0, edge_cut=0):
        cls.check_options(corner_cut=corner_cut, edge_cut=edge_cut)
        return cls(cls.pb_counts(n_pb), a)

    @property
    def edge_nm(self) -> float:
        return (2 * self.n_pb + 1) * self.a

    @property
    def center(self) -> np.ndarray:
        return np.zeros(3)

    @property
    def width(self) -> np.ndarray:
        return np.full(3, (2 * self.n_pb + 3) * self.a)

    @property
    def point_group(self) -> str:
        return "C4h"

    def contains_pb(self, r: np.ndarray) -> np.ndarray:
        return np.abs(r / self.a).sum(axis=0) <= self.n_pb + 1e-6


@pytest.fixture
def octahedron(monkeypatch):
    monkeypatch.setattr(shapes, "_REGISTRY", dict(shapes._REGISTRY))      # registered for this test only
    return shapes.register_shape(_Octahedron)


def test_a_registered_shape_reaches_the_builder_schema_and_cli(crystal, octahedron, capsys):
    # Fails if any reader of shapes keeps its own list: one registered class must be buildable by the
    # TB model, accepted by the sweep schema and by `landeg nc --shape`, and refused by k·p and the
    # Coulomb model by name (it declares neither).
    assert "octahedron" in shapes.shape_names("tb") and "octahedron" not in shapes.shape_names("kp")
    system = build_nanocrystal(crystal, make_shape(crystal, "octahedron", n_pb=1))
    assert system.counts()["Pb"] == 7 and system.point_group() == "C4h"
    assert TBModel(id="o", kind="tb", shape="octahedron", n_pb=2).size_axis == "n_pb"
    assert main(["nc", "--shape", "octahedron", "--n-pb", "1", "--no-finite-field", "--json"]) == 0
    assert '"shape": "octahedron"' in capsys.readouterr().out
    assert main(["nc", "--model", "kp", "--shape", "octahedron", "--edge-nm", "3"]) == 2
    assert "octahedron is a tight-binding shape (complete octahedra); k·p has cube, sphere, cuboid" in \
        capsys.readouterr().err
    with pytest.raises(ParameterError, match="kp model does not build a octahedron"):
        kp_nanocrystal("CsPbI3", "octahedron", 3.0)
    with pytest.raises(ParameterError, match="defined for cube, sphere, not for a octahedron"):
        coulomb_shift("octahedron", 3.0, 5.0)


def test_registry_refuses_unknown_and_clashing_names(octahedron):
    with pytest.raises(UnknownNameError, match="pyramid"):
        shapes.get_shape("pyramid")
    clash = type("Clash", (_Octahedron,), {"__doc__": "another class under a taken name"})
    with pytest.raises(ParameterError, match="registered already"):
        shapes.register_shape(clash)
    with pytest.raises(ValueError, match="unknown tb shape 'pyramid'; shapes: cube, sphere, cuboid, faceted"):
        TBModel(id="p", kind="tb", shape="pyramid", n_pb=2)
    with pytest.raises(ValueError, match="a k·p cuboid has 3 edges; a run config's k·p models have one size"):
        KPModel(id="k", kind="kp", shape="cuboid", edge_nm=3.0)


@pytest.mark.parametrize("name, axis, axes, coefficient", [
    ("cube", "n_pb", "z", 3.0478), ("sphere", "diameter_nm", "z", 1.786),
    ("cuboid", "n_pb", "xyz", None), ("faceted", "n_pb", "xyz", None),
])
def test_builtin_shapes_declare_size_axis_field_axes_and_coulomb(name, axis, axes, coefficient):
    kind = shapes.get_shape(name)
    assert kind.size_axis() == axis and kind.default_field_axes() == axes
    c = kind.coulomb_coefficient()
    assert (c is None) if coefficient is None else c == pytest.approx(coefficient, abs=1e-4)


def test_octahedra_and_grid_boxes_share_one_box_geometry(crystal):
    # The cube of N Pb and the k·p cube of N steps: same centre rule relative to their sites, bounding
    # boxes one spacing (octahedra) or one step beyond each wall (grid), nominal edges N·a and L.
    cube, grid = OctahedraCube(4, crystal.a), GridCube(2.0, 8)
    assert np.allclose(cube.center, 1.5 * crystal.a) and np.allclose(cube.width, 5 * crystal.a)
    assert np.allclose(grid.center, 1.0) and np.allclose(grid.width, 2.5)
    assert np.allclose(cube.edges_nm, 4 * crystal.a) and np.allclose(grid.edges_nm, 2.0)
    steps = np.arange(9) * 0.25
    interior = grid.contains(steps, np.full(9, 1.0), np.full(9, 1.0))
    assert interior.tolist() == [False] + [True] * 7 + [False]              # the walls are left out
