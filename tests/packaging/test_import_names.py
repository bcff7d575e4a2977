"""Installed, the project imports from a directory that has its own ``models.py`` and ``simulations/``."""
import subprocess
import sys
import textwrap


def test_a_script_beside_its_own_models_and_simulations_imports_the_project_and_runs_a_circuit(tmp_path):
    (tmp_path / "models.py").write_text("RAISE = 'the user module, not the project'\n")
    (tmp_path / "simulations").mkdir()
    (tmp_path / "simulations" / "__init__.py").write_text("USER = True\n")
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent("""
        import models, simulations
        from brian2 import Hz, nA, ms, SpikeMonitor, prefs
        from homeostasis import AdaptiveThreshold
        from homeostasis.models import Circuit, CurrentLIF
        import homeostasis.simulations.cli

        prefs.codegen.target = "numpy"
        c = Circuit("own")
        E = c.population("E", CurrentLIF(), 5, [AdaptiveThreshold(target_rate=5 * Hz)], I_ext=0.5 * nA)
        spikes = c.add(SpikeMonitor(E))
        c.network().run(200 * ms)
        assert models.RAISE.startswith("the user"), models
        assert simulations.USER
        print("spikes", spikes.num_spikes)
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 0
